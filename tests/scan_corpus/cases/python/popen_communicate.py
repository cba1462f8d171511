# case: Popen.communicate(input, timeout) with the timeout positional
import subprocess

proc = subprocess.Popen(["make"])
proc.communicate(None, 7200)  # expect: TT001 7200
