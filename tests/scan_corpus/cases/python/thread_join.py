# case: Thread.join(2 * 3600), positional
import threading

worker = threading.Thread(target=print)
worker.start()
worker.join(2 * 3600)  # expect: TT001 7200
