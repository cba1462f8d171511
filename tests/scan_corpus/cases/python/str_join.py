# case: expect: nothing. str.join and os.path.join are not Thread.join
import os

parts = ["a", "b"]
print(", ".join(parts), os.path.join("a", "b"))
print("".join(str(n) for n in range(7200)))
