# case: a unit word at the end of a name scales the value
BUILD_TIMEOUT_MINUTES = 120  # expect: TT001 7200
