#!/usr/bin/env bash
# No password reaches any output of cacheme-bench: the table, JSON and CSV (to stdout and to
# files), the gnuplot SVG, and stderr (registration errors, wrong passwords, bad options, the
# command-line parser's own messages). A successful run uses the test MariaDB's real password,
# given in the URL and through password_env=; failing runs carry made-up secrets.
#   secrets_test.sh CACHEME_BENCH      (CACHEME_TEST_MYSQL_URL and CACHEME_TEST_REDIS_URL set)
set -uo pipefail
bench=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
need() {
  [[ -n ${!1:-} ]] && return 0
  [[ ${CACHEME_REQUIRE_SERVERS:-} == 1 ]] && fail "$1 is not set but CACHEME_REQUIRE_SERVERS=1"
  echo "[not run] $1 is not set: this test did NOT run"
  exit 77
}
need CACHEME_TEST_MYSQL_URL
need CACHEME_TEST_REDIS_URL

maria=$CACHEME_TEST_MYSQL_URL                      # mysql://app:apppw@127.0.0.1:PORT/appdb
userinfo=${maria#*://}; userinfo=${userinfo%%@*}
secret=${userinfo#*:}
[[ $userinfo == *:* && -n $secret ]] || fail "CACHEME_TEST_MYSQL_URL has no password: $maria"
maria_nopw=${maria/:$secret@/@}
redis_hostport=${CACHEME_TEST_REDIS_URL#redis://}
table="cli_secrets_$$"
small=(--requests 3000 --workers 50 --load-latency 1ms --pool-size 4)

# run NAME EXPECTED_STATUS|any ARGS...: stdout and stderr into $out/NAME.{out,err}
run() {
  local name=$1 want=$2; shift 2
  "$bench" "$@" >"$out/$name.out" 2>"$out/$name.err"
  local got=$?
  [[ $want == any || $got == "$want" ]] || { cat "$out/$name.err" >&2; fail "$name: exit status $got, expected $want"; }
}

# Successful runs: every output format, the chain shown with ***.
run table 0 replay "${small[@]}" --chain "local://lru?size=100,$maria?table=$table&init=1" \
    --json "$out/run.json" --csv "$out/run.csv" --plot "$out/run.svg"
grep -q "app:\*\*\*@" "$out/table.out" || fail "the table does not show the chain as app:***@"
grep -q '"health"' "$out/run.json" || fail "the JSON has no storage health"
grep -q "tier1 connections up" "$out/table.out" || fail "the table has no storage health"
run json 0 replay "${small[@]}" --chain "$maria?table=$table" --json -
run csv 0 compare "${small[@]}" --chain "$maria?table=$table" --chain "local://lru?size=10" --csv -
CACHEME_BENCH_PW=$secret run env 0 replay "${small[@]}" --json - \
    --chain "$maria_nopw?table=$table&password_env=CACHEME_BENCH_PW"
grep -q "password_env=CACHEME_BENCH_PW" "$out/env.out" || fail "the JSON does not show password_env"

# Failing runs: made-up secrets in every place a URL can carry one.
run down 2 replay --chain "redis://:s3cretA@127.0.0.1:1"
run bare 2 replay --chain "redis://s3cretB@127.0.0.1:1"
run query any replay "${small[@]}" --chain "redis://$redis_hostport?password=s3cretC"  # refused or ignored
run pg 2 replay --chain "local://lru?size=10,postgresql://u:s3cretD@127.0.0.1:1/db"
run parser 2 replay --workers "redis://:s3cretE@127.0.0.1:1" --chain "mysql://u:s3cretE2@h/db"
run auth 2 replay --chain "redis://:s3cretF@$redis_hostport"
run maria_bad 2 replay --chain "${maria/:$secret@/:s3cretG@}?table=$table"
run compare_bad 2 compare "${small[@]}" --chain "local://lru?size=10" --chain "redis://:s3cretH@127.0.0.1:1"
grep -q ":\*\*\*@127.0.0.1:1" "$out/down.err" || fail "the error does not show the URL as :***@"

# Nothing anywhere holds a secret (the SVG included).
for s in "$secret" s3cretA s3cretB s3cretC s3cretD s3cretE s3cretE2 s3cretF s3cretG s3cretH; do
  if grep -rlF -- "$s" "$out"; then fail "secret '$s' printed (files above)"; fi
done
echo "ok: no secret in $(ls "$out" | wc -l) outputs"
