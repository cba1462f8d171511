# case: a module constant not named like a timeout, used in one
import subprocess

HOUR = 3600
subprocess.run(["make"], timeout=3 * HOUR, check=True)  # expect: TT001 10800
