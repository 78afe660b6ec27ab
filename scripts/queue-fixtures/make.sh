#!/bin/bash
# make.sh -- make a small REAL Postfix queue for postsleuth's queue tests.
#
# What it does: runs a throwaway Postfix (Debian's postfix, Cyrus SASL with
# a sasldb of two accounts) and fills its queue: SASL-authenticated mail
# from an IPv4 and an IPv6 client, pickup mail from two local users
# (sendmail as www-data and backup), XFORWARD re-injected copies, a message
# with 120 recipients, a Subject longer than line_length_limit (stored as
# `L` fragments), short queue IDs, then long ones (enable_long_queue_ids =
# yes and a reload), held messages (postsuper -h), a message requeued with
# postsuper -r, and a message left in maildrop (pickup removed from
# master.cf). Outbound mail goes to relayhost [127.0.0.1]:2525 where nothing
# listens, so every message is deferred with a defer log. Then it saves the
# ground truth (postqueue -j; postcat -q and postcat -e per message), stops
# Postfix, and copies the queue files (files only) into
# tests/fixtures/queue/spool, the truth into tests/fixtures/queue/truth.
#
# Isolation: everything runs in private mount and network namespaces
# (unshare -m -n). The network namespace has only a loopback interface, so
# nothing can leave the machine and no port collides with anything outside;
# /etc/postfix, /var/spool/postfix and /var/lib/postfix are bind-mounted
# from $WORK inside the mount namespace, so the system's own Postfix
# configuration and queue are never read or written. The master started
# here is stopped with `postfix stop` at the end (and on any error).
#
# Usage: sudo scripts/queue-fixtures/make.sh        (about a minute)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-/var/tmp/postsleuth-queue-fixtures}
OUT=${OUT:-$REPO/tests/fixtures/queue}

die() { echo "make.sh: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

if [ -z "${POSTSLEUTH_IN_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || die "must run as root (it starts a Postfix in private namespaces)"
  if ! command -v postconf >/dev/null || ! command -v saslpasswd2 >/dev/null \
     || ! command -v swaks >/dev/null || ! command -v jq >/dev/null; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postfix sasl2-bin libsasl2-modules swaks jq python3
  fi
  exec unshare -m -n env POSTSLEUTH_IN_NS=1 "$0" "$@"
fi

# ------------------------------------------------------------ namespace --
mount --make-rprivate /
ip link set lo up
ip -6 addr add 2001:db8::66/128 dev lo
rm -rf "$WORK"
mkdir -p "$WORK/etc/sasl" "$WORK/spool" "$WORK/lib"
for f in dynamicmaps.cf dynamicmaps.cf.d postfix-files postfix-files.d post-install postfix-script; do
  [ -e "/etc/postfix/$f" ] && cp -a "/etc/postfix/$f" "$WORK/etc/"
done
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$WORK/resolv.conf"
printf '127.0.0.1 localhost mx1.example.test\n::1 localhost\n' > "$WORK/hosts"

cat > "$WORK/etc/main.cf" <<EOF
# postsleuth queue-fixtures throwaway Postfix (scripts/queue-fixtures/make.sh)
compatibility_level = 3.6
myhostname = mx1.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination = \$myhostname, localhost
inet_interfaces = loopback-only
inet_protocols = all
mynetworks = 127.0.0.1/32 [::1]/128
relayhost = [127.0.0.1]:2525
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
maillog_file = $WORK/maillog
enable_long_queue_ids = no
# No retry while the fixtures are made: each message is tried once.
minimal_backoff_time = 2h
maximal_backoff_time = 4h
queue_run_delay = 2h
smtpd_sasl_auth_enable = no
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = /etc/postfix/sasl
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_security_level = none
smtpd_client_port_logging = yes
EOF

cat > "$WORK/etc/master.cf" <<'EOF'
smtp       inet  n  -  n  -  -  smtpd
submission inet  n  -  n  -  -  smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
10025      inet  n  -  n  -  -  smtpd
  -o syslog_name=postfix/reinject
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
pickup     unix  n  -  n  60 1  pickup
cleanup    unix  n  -  n  -  0  cleanup
qmgr       unix  n  -  n  300 1 qmgr
rewrite    unix  -  -  n  -  -  trivial-rewrite
bounce     unix  -  -  n  -  0  bounce
defer      unix  -  -  n  -  0  bounce
trace      unix  -  -  n  -  0  bounce
verify     unix  -  -  n  -  1  verify
flush      unix  n  -  n  1000? 0 flush
proxymap   unix  -  -  n  -  -  proxymap
smtp       unix  -  -  n  -  -  smtp
relay      unix  -  -  n  -  -  smtp
showq      unix  n  -  n  -  -  showq
error      unix  -  -  n  -  -  error
retry      unix  -  -  n  -  -  error
discard    unix  -  -  n  -  -  discard
local      unix  -  n  n  -  -  local
anvil      unix  -  -  n  -  1  anvil
scache     unix  -  -  n  -  1  scache
postlog    unix-dgram n - n - 1 postlogd
EOF

cat > "$WORK/etc/sasl/smtpd.conf" <<'EOF'
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: /etc/postfix/sasl/sasldb2
EOF

mount --bind "$WORK/etc" /etc/postfix
mount --bind "$WORK/spool" /var/spool/postfix
mount --bind "$WORK/lib" /var/lib/postfix
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
mount --bind "$WORK/hosts" /etc/hosts

# passwords in the clear on purpose: throwaway accounts
echo 'alice-Passw0rd' | saslpasswd2 -c -p -f /etc/postfix/sasl/sasldb2 -u example.test alice
echo 'bob-Passw0rd' | saslpasswd2 -c -p -f /etc/postfix/sasl/sasldb2 -u example.test bob
chown root:postfix /etc/postfix/sasl/sasldb2
chmod 0640 /etc/postfix/sasl/sasldb2
chown postfix:postfix "$WORK/lib"

stop() { set +e; postfix stop >/dev/null 2>&1; sleep 1; }
trap stop EXIT

postfix check
postfix start
for _ in $(seq 50); do [ -p /var/spool/postfix/public/pickup ] && break; sleep 0.1; done
sleep 1

# ---------------------------------------------------------------- helpers --
: > "$WORK/clients.log"
# sub IP USER PASS FROM TO SUBJECT [swaks args…]: one SASL submission
sub() {
  local ip=$1 user=$2 pass=$3 from=$4 to=$5 subj=$6 server=127.0.0.1; shift 6
  case $ip in *:*) server=::1 ;; esac
  swaks --server "$server" --port 587 --local-interface "$ip" --helo client.example.test \
    --auth PLAIN --auth-user "$user" --auth-password "$pass" \
    --from "$from" --to "$to" --header "Subject: $subj" \
    --header "Message-Id: <$RANDOM.$RANDOM@client.example.test>" \
    --body "Hello, $subj" --timeout 20 "$@" >>"$WORK/clients.log" 2>&1
}
# local USER FROM TO SUBJECT: a script's mail through sendmail (pickup)
local_mail() {
  printf 'Subject: %s\nTo: %s\nMessage-Id: <%s.%s@mx1.example.test>\n\nbody of %s\n' \
    "$4" "$3" "$RANDOM" "$RANDOM" "$4" | runuser -u "$1" -- /usr/sbin/sendmail -oi -f "$2" "$3"
}
# reinject ADDR NAME FROM TO SUBJECT: a content filter's re-injection with XFORWARD
reinject() {
  python3 - "$@" <<'EOF' >>"$WORK/clients.log" 2>&1
import smtplib, sys
addr, name, sender, rcpt, subject = sys.argv[1:]
s = smtplib.SMTP("127.0.0.1", 10025, local_hostname="localhost")
s.ehlo()
code, msg = s.docmd("XFORWARD", f"NAME={name} ADDR={addr} PROTO=ESMTP HELO=[{name}]")
assert code == 250, (code, msg)
s.sendmail(sender, [rcpt], f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
           f"Message-Id: <reinject.{addr}@filter.example.test>\r\n\r\nfiltered body\r\n")
s.quit()
EOF
}
settle() {  # until qmgr has tried everything (incoming and active empty)
  for _ in $(seq 100); do
    [ -z "$(find /var/spool/postfix/incoming /var/spool/postfix/active /var/spool/postfix/maildrop -type f 2>/dev/null)" ] && break
    sleep 0.2
  done
  sleep 1
}
qid_of_subject() {  # the queue ID of the (first) message whose Subject is $1
  local f
  for _ in $(seq 20); do
    for f in $(find /var/spool/postfix/incoming /var/spool/postfix/active /var/spool/postfix/deferred -type f); do
      if postcat -h "$f" 2>/dev/null | grep -qxF "Subject: $1"; then basename "$f"; return; fi
    done
    sleep 0.5
  done
  die "no queued message has the Subject '$1'"
}

RANDOM=2026
A=alice@example.test; B=bob@example.test
# ------------------------------------------------------- short queue IDs --
log "short queue IDs"
sub 127.0.0.10 $A alice-Passw0rd $A someone@gmail.example "Quarterly figures"
sub 127.0.0.10 $A alice-Passw0rd $A friend@yahoo.example "Dinner"
sub 127.0.0.11 $A alice-Passw0rd $A x1@gmail.example "Cheap watches"
sub 2001:db8::66 $B bob-Passw0rd $B y1@hotmail.example "Your parcel"
sub 2001:db8::66 $B bob-Passw0rd "paypal@bank.example" y2@gmail.example "Account locked"
local_mail www-data www-data@mx1.example.test v1@gmail.example "Your invoice"
local_mail www-data www-data@mx1.example.test v2@yahoo.example "Your invoice"
local_mail www-data www-data@mx1.example.test v3@gmail.example "Your invoice"
local_mail backup backup@mx1.example.test ops@partner.example "backup report (nightly)"
reinject 198.51.100.23 mail.attacker.example spam@attacker.example r1@gmail.example "Filtered offer"
reinject IPv6:2001:db8::99 v6.attacker.example spam@attacker.example r2@gmail.example "Filtered offer v6"
many=$(for i in $(seq 1 120); do printf 'list%03d@%s,' "$i" "$([ $((i % 3)) = 0 ] && echo yahoo.example || echo gmail.example)"; done)
sub 127.0.0.11 $A alice-Passw0rd $A "${many%,}" "Newsletter to 120"
long=$(printf 'Long subject %04d ' $(seq 1 200))   # 3,600 characters on one line
sub 127.0.0.10 $A alice-Passw0rd $A longhdr@gmail.example "${long% }"
settle
postsuper -h "$(qid_of_subject "Your parcel")"
postsuper -h "$(qid_of_subject "backup report (nightly)")"

# -------------------------------------------------------- long queue IDs --
log "long queue IDs"
postconf -e enable_long_queue_ids=yes
postfix reload
sleep 2
sub 127.0.0.10 $A alice-Passw0rd $A z1@gmail.example "Long ID one"
sub 127.0.0.10 $A alice-Passw0rd $A z2@outlook.example "Long ID two"
sub 2001:db8::66 $B bob-Passw0rd $B z3@gmail.example "Long ID from bob"
local_mail www-data www-data@mx1.example.test z4@gmail.example "Your invoice"
settle
# requeued: a short-ID message comes back through pickup with a long ID
postsuper -r "$(qid_of_subject "Dinner")"
postkick public pickup W   # pickup would wait for its 60 s timer
settle
postsuper -h "$(qid_of_subject "Long ID from bob")"

# ------------------------------------------------------------- maildrop --
log "maildrop"
sed -i '/^pickup /d' /etc/postfix/master.cf
postfix reload
sleep 2
local_mail www-data www-data@mx1.example.test m1@gmail.example "Still in maildrop"
sleep 1

# ---------------------------------------------------------------- truth --
log "truth"
rm -rf "$OUT"
mkdir -p "$OUT/spool" "$OUT/truth"
postqueue -j > "$OUT/truth/postqueue.json"
postconf -n > "$OUT/truth/main.cf"
cd /var/spool/postfix
for q in maildrop incoming active deferred hold corrupt saved defer bounce; do
  [ -d "$q" ] || continue
  find "$q" -type f | sort | while read -r f; do
    mkdir -p "$OUT/spool/$(dirname "$f")"
    cp "$f" "$OUT/spool/$f"
    case $q in defer|bounce) chmod 0644 "$OUT/spool/$f"; continue ;; esac
    # queue files keep their owner-execute bit: it says "complete"
    chmod 0755 "$OUT/spool/$f"
    id=$(basename "$f")
    postcat -q "$id" > "$OUT/truth/$id.postcat" 2>/dev/null || postcat "$f" > "$OUT/truth/$id.postcat"
    postcat -e "$f" > "$OUT/truth/$id.postcat-e"
  done
done
cd /
stop
trap - EXIT
cp "$WORK/maillog" "$OUT/truth/maillog"
postfix status >/dev/null 2>&1 && die "the throwaway Postfix still runs"
log "wrote $(find "$OUT/spool" -type f | wc -l) files to $OUT"
