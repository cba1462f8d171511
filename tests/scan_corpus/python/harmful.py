"""Writes a marker file when imported or run: the scan must only ever read it."""

import os
import sys

with open(os.environ.get("TASKTIMING_SCAN_MARKER", "/tmp/tasktiming-scan-ran"), "w") as marker:
    marker.write("imported or run")
sys.exit(3)

TIMEOUT = 99999  # expect: TT001 99999
