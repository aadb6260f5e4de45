#!/bin/bash
# One-off A/B for issue 12: `cli.js sync` of the old tree (304ab1d, built) vs this one (npm run build)
# against ONE simulator process, alternating. OLD_ROOT=/tmp/old N=25000 ROUNDS=6 bench/ab/sync.sh
set -u
N=${N:-25000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLD_ROOT=${OLD_ROOT:-/tmp/old}
cd "$ROOT"
exec 3< <(exec node --import tsx bench/sync-simulator.ts $N 2>/dev/null)
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
read -r line <&3
url=$(echo "$line" | node -e 'const i=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(i.url)')
key=$(echo "$line" | node -e 'const i=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(i.apiKey)')
store=$(echo "$line" | node -e 'const i=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(i.stores[0].id)')
for r in $(seq 1 ${ROUNDS:-6}); do
  for t in old new; do
    [ $((r % 2)) = 0 ] && t=$([ $t = old ] && echo new || echo old)
    d=$OLD_ROOT; [ $t = new ] && d=$ROOT
    db=/tmp/sync-ab-$t.db; rm -f $db $db-wal $db-shm
    out=$( { /usr/bin/time -f "%U %S %e" env -i PATH="$PATH" DATABASE_PATH=$db DEMO=false ANGOR_ENABLE=false BTCPAY_URL=$url BTCPAY_API_KEY=$key BTCPAY_STORE_IDS=$store LOG_LEVEL=warn node $d/dist/exporter/src/cli.js sync > /dev/null; } 2>&1 | tail -1)
    n=$(node -e "const D=require('$ROOT/node_modules/better-sqlite3');const d=new D('$db');console.log(d.prepare('select count(*) n from invoices').get().n)")
    echo "$t user+sys+wall: $out invoices=$n"
  done
done
