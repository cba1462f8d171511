# case: a timeout constant is reported where it is defined, not again where it is used
import subprocess

DEPLOY_TIMEOUT = 7200  # expect: TT001 7200
subprocess.run(["deploy"], timeout=DEPLOY_TIMEOUT, check=True)
