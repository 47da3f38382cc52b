# The pool's public keys, pasted from its jwks.json as the tutorial says (the test writes them).
keys = []
