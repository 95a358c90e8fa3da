"""The HTTP edge both the API and the pages stand on: who is asking (the token check), what a
write's conditions are, which position and pool a read runs at, bodies decoded once by the request
types, and errors turned into statuses and words. `registry.api` and `registry.pages` import this,
never each other."""
