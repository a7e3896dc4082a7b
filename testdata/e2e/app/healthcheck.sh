#!/bin/sh
# The readiness probe that wants curl.
exec curl -fsS http://127.0.0.1:8080/healthz
