# case: expect: nothing. celery's AsyncResult.get(timeout=10) (from celery t/integration/test_security.py)
def check(t1):
    result = t1.get(timeout=10)
    return result
