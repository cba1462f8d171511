# case: expect: nothing. dict.get(key, 86400) is a default value, not a timeout
settings = {}
retention = settings.get("retention", 86400)
limit = settings.get(7200, 7200)
