# case: subprocess.run(timeout=4 * 3600)
import subprocess

subprocess.run(["make", "all"], timeout=4 * 3600, check=True)  # expect: TT001 14400
