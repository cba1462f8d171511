# case: urllib3.Timeout(connect=2.0, read=7200)
import urllib3

http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2.0, read=7200))  # expect: TT001 7200
