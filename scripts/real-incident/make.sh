#!/bin/bash
# make.sh -- record a REAL Postfix + Dovecot incident log for postsleuth.
#
# What it does: installs Debian's postfix, dovecot-core, swaks and rsyslog,
# configures a throwaway Postfix (postscreen on 25, submission on 587 with
# Dovecot SASL, header_checks) and a Dovecot that only does SASL auth, with
# an rsyslogd writing the mail facility to a work directory; then it plays a
# scripted four-minute incident with swaks and sendmail (ordinary users, a
# slow distributed brute force on carol@example.test, a compromise from
# addresses that never failed, a spam run, the admin's response: password
# change, postsuper -h / -d), rotates the log twice the logrotate way (rename
# + HUP, then rename + gzip), stops every daemon it started, and writes
# tests/fixtures/real_incident/{mail.log,mail.log.1,mail.log.2.gz,truth.json,
# README.md}.
#
# Network: it only ever talks to loopback. Postfix listens on loopback only,
# every client is a 127.0.0.N / 127.0.1.N source address or 2001:db8::66 /
# 2001:db8::67 added to lo for the run (removed at the end), and outbound
# mail goes to relayhost [127.0.0.1]:2525 where nothing listens, so it stays
# deferred in the queue. The whole run happens in a private mount namespace
# where /etc/resolv.conf points at 127.0.0.1 and /etc/hosts is our own
# (scripts/real-incident/hosts), so not even a DNS query leaves the machine.
#
# It OVERWRITES /etc/postfix/{main.cf,master.cf,...} and empties the Postfix
# queue: run it only on a throwaway machine (as root). It never reads or
# writes /var/log; the log is written to $WORK/log (default
# /var/tmp/postsleuth-real-incident/log). It refuses to run if a Postfix
# master, a dovecot or a syslog daemon is already running, or if
# /etc/postfix/main.cf exists and is not one it wrote (override with
# POSTSLEUTH_THROWAWAY=1). Not run in CI.
#
# Usage: sudo scripts/real-incident/make.sh        (about 5 minutes)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-/var/tmp/postsleuth-real-incident}
OUT=${OUT:-$REPO/tests/fixtures/real_incident}
LOGDIR=$WORK/log
MARKER='postsleuth real-incident throwaway Postfix'
V6A=2001:db8::66     # attacker's IPv6 address (documentation prefix, on lo)
V6B=2001:db8::67     # unused spare, so lo has a /128 pair like a real host

die() { echo "make.sh: $*" >&2; exit 1; }
log() { printf '[%s t=%s] %s\n' "$(date +%T)" "$(( $(date +%s) - ${T0:-$(date +%s)} ))" "$*"; }

if [ -z "${POSTSLEUTH_IN_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || die "must run as root (on a throwaway machine)"
  for p in master dovecot rsyslogd syslogd syslog-ng systemd-journal; do
    if pgrep -x "$p" >/dev/null; then
      die "a '$p' process is already running: refusing to touch a live system"
    fi
  done
  if [ -e /etc/postfix/main.cf ] && ! grep -q "$MARKER" /etc/postfix/main.cf \
     && [ -z "${POSTSLEUTH_THROWAWAY:-}" ]; then
    die "/etc/postfix/main.cf is not ours; set POSTSLEUTH_THROWAWAY=1 to overwrite it"
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v swaks >/dev/null || ! command -v postconf >/dev/null \
     || ! command -v dovecot >/dev/null || ! command -v rsyslogd >/dev/null \
     || ! command -v jq >/dev/null || [ ! -x /usr/bin/python3 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string mx1.example.test" | debconf-set-selections
    apt-get update
    apt-get install -y postfix dovecot-core swaks rsyslog libnet-ssleay-perl ssl-cert jq python3
  fi
  exec unshare -m env POSTSLEUTH_IN_NS=1 "$0" "$@"
fi

# ---------------------------------------------------------------- set-up --
# private resolver config and hosts file, visible only inside this namespace
mount --make-rprivate / 2>/dev/null || true
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /tmp/postsleuth-resolv.conf
mount --bind /tmp/postsleuth-resolv.conf /etc/resolv.conf
mount --bind "$HERE/hosts" /etc/hosts

RSYSLOG_PID=
ADDED_V6=
cleanup() {
  set +e
  postfix stop >/dev/null 2>&1
  [ -e "$WORK/dovecot.conf" ] && dovecot -c "$WORK/dovecot.conf" stop >/dev/null 2>&1
  sleep 2
  if [ -n "$RSYSLOG_PID" ] && kill -0 "$RSYSLOG_PID" 2>/dev/null; then
    kill "$RSYSLOG_PID"; sleep 1
  fi
  for a in $ADDED_V6; do ip -6 addr del "$a/128" dev lo 2>/dev/null; done
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK" "$LOGDIR" "$WORK/rsyslog-state" "$WORK/vmail" \
         "$WORK/dovecot-run" "$WORK/dovecot-state"
chown 5000:5000 "$WORK/vmail"
for f in rsyslog.conf dovecot.conf; do
  sed "s#@WORK@#$WORK#g" "$HERE/$f" > "$WORK/$f"
done
sed "s#@WORK@#$WORK#g" "$HERE/main.cf" > /etc/postfix/main.cf
cp "$HERE/master.cf" "$HERE/header_checks" "$HERE/vmailbox" /etc/postfix/
: > /etc/postfix/blocked_clients

# passwords (PLAIN on purpose: throwaway)
P1='sunshine2026'              # carol's weak password, cracked
P2='Gl4cier-Ferry-Quill-77'    # carol's new password (step 7)
cat > "$WORK/dovecot-users" <<EOF
carol@example.test:{PLAIN}$P1::::::
dave@example.test:{PLAIN}dave-Trav3ls::::::
erin@example.test:{PLAIN}Erin#Spring26::::::
frank@example.test:{PLAIN}fr4nk-0ps-2026::::::
grace@example.test:{PLAIN}GraceH0pper!::::::
EOF
chown root:dovecot "$WORK/dovecot-users"; chmod 0640 "$WORK/dovecot-users"

# loopback IPv6 for the attacker (fallback: ::1, say so in the truth)
if ip -6 addr add "$V6A/128" dev lo 2>/dev/null; then
  ADDED_V6="$V6A"
  ip -6 addr add "$V6B/128" dev lo 2>/dev/null && ADDED_V6="$ADDED_V6 $V6B"
  ATTACK6=$V6A
else
  echo "make.sh: cannot add $V6A to lo, the attacker's IPv6 address is ::1" >&2
  ATTACK6=::1
fi
sleep 2   # DAD on lo is instant, but give the kernel a moment

# empty the queue and postscreen cache left from an earlier run
postsuper -d ALL >/dev/null 2>&1 || true
rm -f /var/lib/postfix/postscreen_cache.* /var/lib/postfix/prng_exch

rsyslogd -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid"
for _ in $(seq 50); do [ -S /dev/log ] && [ -s "$WORK/rsyslogd.pid" ] && break; sleep 0.1; done
RSYSLOG_PID=$(cat "$WORK/rsyslogd.pid")
hup_syslog() { kill -HUP "$RSYSLOG_PID"; }

postfix check
dovecot -c "$WORK/dovecot.conf"
postfix start
for _ in $(seq 50); do [ -S /var/spool/postfix/private/auth ] && break; sleep 0.1; done
sleep 3

# ---------------------------------------------------------------- helpers --
: > "$WORK/swaks.log"
helo_for() {
  case $1 in
    127.0.0.10) echo carol-laptop ;;  127.0.0.11) echo WS-FRANK ;;
    127.0.0.12) echo ws-grace ;;      127.0.0.13) echo dave-mbp.fritz.box ;;
    127.0.0.14) echo erins-laptop ;;  127.0.0.99) echo dave-mbp.local ;;
    127.0.0.30) echo mail.partner.example.org ;;
    127.0.0.66|127.0.0.67|*:*) echo WIN-7Q2K9F1 ;;
    *) echo User ;;
  esac
}
# sub IP USER PASS FROM TO SUBJECT [swaks args...]: one submission session
sub() {
  local ip=$1 user=$2 pass=$3 from=$4 to=$5 subj=$6; shift 6
  local server=127.0.0.1 helo
  case $ip in *:*) server=::1 ;; esac
  helo=$(helo_for "$ip")
  {
    echo "=== $(date +%T) sub $ip $user $to $subj"
    timeout 60 swaks --server "$server" --port 587 --local-interface "$ip" \
      --helo "$helo" --tls --auth PLAIN \
      --header "Message-Id: <$(date +%Y%m%d%H%M%S).$$.$RANDOM@$helo>" \
      --auth-user "$user" --auth-password "$pass" \
      --from "$from" --to "$to" --header "Subject: $subj" \
      --body "$(printf 'Hello,\n\n%s\n\n-- \nsent %s\n' "$subj" "$(date -R)")" \
      --timeout 20 "$@"
    echo "=== rc=$?"
  } >>"$WORK/swaks.log" 2>&1 || true
}
# drop IP USER PASS: a failed AUTH, then hang up without QUIT (a bot)
drop() {
  local server=127.0.0.1
  case $1 in *:*) server=::1 ;; esac
  {
    echo "=== $(date +%T) drop $1 $2"
    timeout 60 /usr/bin/python3 "$HERE/auth_and_drop.py" "$server" 587 "$1" \
      "$(helo_for "$1")" "$2" "$3"
    echo "=== rc=$?"
  } >>"$WORK/swaks.log" 2>&1 || true
}
# inbound IP FROM TO SUBJECT: one message on port 25 (through postscreen)
inbound() {
  {
    echo "=== $(date +%T) inbound $1 $3"
    timeout 60 swaks --server 127.0.0.1 --port 25 --local-interface "$1" \
      --helo "$(helo_for "$1")" --from "$2" --to "$3" --header "Subject: $4" \
      --header "Message-Id: <$(date +%Y%m%d%H%M%S).$RANDOM@$(helo_for "$1")>" \
      --body "Newsletter text." --timeout 20
    echo "=== rc=$?"
  } >>"$WORK/swaks.log" 2>&1 || true
}
# cron: a nightly job of user backup (uid 34) mailing its report via sendmail
cron_mail() {
  printf 'Subject: %s\nTo: frank@example.test\n\n%s\n' "$1" "$2" |
    runuser -u backup -- /usr/sbin/sendmail -oi frank@example.test
}
at() {  # at N: sleep until N seconds after T0
  local now=$(( $(date +%s) - T0 ))
  if (( $1 > now )); then sleep $(( $1 - now )); fi
}
rotate1() {
  log "rotation #1: mail.log -> mail.log.1, HUP"
  mv "$LOGDIR/mail.log" "$LOGDIR/mail.log.1"; hup_syslog
}
rotate2() {
  log "rotation #2: mail.log.1 -> mail.log.2.gz, mail.log -> mail.log.1, HUP"
  mv "$LOGDIR/mail.log.1" "$LOGDIR/mail.log.2"
  mv "$LOGDIR/mail.log" "$LOGDIR/mail.log.1"; hup_syslog
  gzip -9 "$LOGDIR/mail.log.2"
}

if [ -n "${SMOKE:-}" ]; then   # developer aid: a few sessions, then stop
  T0=$(date +%s)
  sub 127.0.0.10 carol@example.test "$P1" carol@example.test frank@example.test smoke1
  sub 127.0.1.1 carol@example.test wrong carol@example.test carol@example.test t
  drop 127.0.1.2 carol@example.test wrong
  sub 127.0.1.3 admin@example.test wrong carol@example.test carol@example.test t
  sub "$ATTACK6" carol@example.test "$P1" x@bank-example.com "a@gmail.example,b@gmail.example" smoke6
  sub 127.0.0.67 carol@example.test "$P1" x@bank-example.com a@gmail.example "CHEAP MEDS now"
  inbound 127.0.0.30 n@partner.example.org frank@example.test smoke25
  cron_mail "smoke cron" "body"
  sleep 3; cat "$LOGDIR/mail.log"; exit 0
fi

RANDOM=2026   # reproducible "random" senders and recipients
CAROL=carol@example.test
WRONG=(123456 password carol2026 Summer2026 qwerty123 Welcome1 letmein
       carol123 P@ssw0rd iloveyou sunshine Carol2026! 12345678 monkey1
       admin123 example2026 dragon passw0rd Winter2025 abc123)
wrong() { echo "${WRONG[$(( RANDOM % ${#WRONG[@]} ))]}"; }

T0=$(date +%s)
log "incident starts"
# ------------------------------------- 1. ordinary mail (t = 0 .. 40 s) --
sub 127.0.0.10 $CAROL "$P1" $CAROL frank@example.test "Minutes of Monday's meeting"
at 3;  sub 127.0.0.11 frank@example.test fr4nk-0ps-2026 frank@example.test \
          ops@partner.example.org "Re: maintenance window"
at 5;  inbound 127.0.0.30 newsletter@partner.example.org frank@example.test \
          "Partner newsletter, December" &
at 8;  sub 127.0.0.12 grace@example.test 'GraceH0pper!' grace@example.test \
          $CAROL "Lunch on Thursday?"
at 12; cron_mail "backup report mx1 (nightly)" "backup OK, 2.1 GiB, 0 errors"
at 15; sub 127.0.0.13 dave@example.test dave-Trav3ls dave@example.test \
          "j.meier@customer.example.com" "Offer 2026-118"
at 19; sub 127.0.0.10 $CAROL "$P1" $CAROL "accounts@supplier.example.net" \
          "Invoice 4471 - question"
at 23; sub 127.0.0.11 frank@example.test fr4nk-0ps-2026 frank@example.test \
          grace@example.test "Printer on 2nd floor"
at 27; sub 127.0.0.12 grace@example.test 'GraceH0pper!' grace@example.test \
          "hr@partner.example.org" "Application documents"
wait
# ------------------------------------- 2. trap "typo": erin --------------
at 31; sub 127.0.0.14 erin@example.test 'Erin#Sprnig26' erin@example.test \
          dave@example.test "Slides for Friday"
at 35; sub 127.0.0.14 erin@example.test 'Erin#Spring26' erin@example.test \
          dave@example.test "Slides for Friday"
at 39; rotate1
# ------------------- 3. slow distributed brute force (t = 42 .. ~100 s) --
# n ip user quit?  -- 37 attempts, 25 addresses, 32 naming carol, 12 drop
BRUTE='1 carol -|2 carol Q|3 carol -|4 admin -|5 carol -|1 carol Q|6 carol -
|7 carol Q|8 carol -|9 frank -|3 carol Q|10 carol -|11 carol -|12 carol Q
|5 carol -|13 carol -|14 info -|15 carol Q|8 carol Q|16 carol -|17 carol -
|10 carol -|18 carol Q|19 grace -|20 carol -|13 carol Q|21 carol -|22 carol -
|16 carol -|23 carol Q|24 admin -|19 carol -|25 carol -|21 carol Q|24 carol -
|11 carol Q|22 carol -'
at 42; log "brute force starts"
IFS='|' read -r -a ATTEMPTS <<<"$(tr -d '\n' <<<"$BRUTE")"
[ "${#ATTEMPTS[@]}" = 37 ] || die "brute-force table has ${#ATTEMPTS[@]} rows"
for row in "${ATTEMPTS[@]}"; do
  read -r n user q <<<"$row"
  if [ "$q" = Q ]; then
    drop "127.0.1.$n" "$user@example.test" "$(wrong)" &
  else
    sub "127.0.1.$n" "$user@example.test" "$(wrong)" "$user@example.test" \
        "$user@example.test" "test" &
  fi
  sleep 1.55
done
wait
log "brute force ends"
# ------------------------------------------ 4. the compromise (t ~ 110 s) --
at 110; log "attacker's first login from 127.0.0.66"
sub 127.0.0.66 $CAROL "$P1" $CAROL "chk-$(( RANDOM % 9000 + 1000 ))@mailcheck.example" \
    "test $(( RANDOM ))"
# ------------------------------------------ 5. spam run (t = 115 .. ~200) --
SENDERS=(noreply-%04d@bank-example.com billing@paypa1.example
         security-%04d@amaz0n-support.example service@secure-bank-example.com
         invoice-%04d@dhl-tracking.example no-reply@apple-id-verify.example)
SUBJECTS=("Your account has been suspended" "Action required: verify your identity"
          "Invoice #%05d overdue" "Your parcel could not be delivered"
          "Unusual sign-in activity" "Payment received - receipt #%05d")
FREEMAIL=(gmail.example yahoo.example outlook.example web.example gmx.example)
rcpt() { printf '%s%d@%s' "$1" $(( RANDOM % 90000 + 10000 )) "${FREEMAIL[$(( RANDOM % 5 ))]}"; }
spam_run() {
  local i ip from subj to
  local ips=(127.0.0.66 127.0.0.67 "$ATTACK6")
  for i in $(seq 1 65); do
    ip=${ips[$(( (i * 7 + i / 5) % 3 ))]}
    # shellcheck disable=SC2059
    from=$(printf "${SENDERS[$(( RANDOM % 6 ))]}" $(( RANDOM % 10000 )))
    # shellcheck disable=SC2059
    subj=$(printf "${SUBJECTS[$(( RANDOM % 6 ))]}" $(( RANDOM % 100000 )))
    if [ "$i" = 21 ] || [ "$i" = 46 ]; then subj="CHEAP MEDS - 80% OFF"; fi
    to="$(rcpt j.),$(rcpt m),$(rcpt info)"
    sub "$ip" $CAROL "$P1" "$from" "$to" "$subj" &
    sleep 1.25
  done
  wait
}
at 115; log "spam run starts"
spam_run &
SPAM_PID=$!
# ----------------------- 6. meanwhile: real carol, dave at a hotel, cron --
at 125; rotate2
at 130; sub 127.0.0.10 $CAROL "$P1" $CAROL "accounts@supplier.example.net" \
          "Re: Invoice 4471 - question"
at 136; sub 127.0.0.99 dave@example.test dave-Trav3ls dave@example.test \
          "j.meier@customer.example.com" "Re: Offer 2026-118 (from the road)"
at 150; cron_mail "disk usage report mx1" "/var 41% used"
at 160; inbound 127.0.0.30 newsletter@partner.example.org $CAROL \
          "Partner event invitation" &
at 170; sub 127.0.0.10 $CAROL "$P1" $CAROL erin@example.test "Slides look good"
at 176; sub 127.0.0.99 dave@example.test dave-Trav3ls dave@example.test \
          frank@example.test "VPN from the hotel?"
wait "$SPAM_PID" || true
log "spam run ends"
wait
# ----------------------------------------------- 7. the admin's response --
at 200; log "password change for carol"
sed -i "s/^carol@example.test:{PLAIN}[^:]*:/carol@example.test:{PLAIN}$P2:/" "$WORK/dovecot-users"
at 204; sub 127.0.0.66 $CAROL "$P1" $CAROL "$(rcpt j.)" "Your account has been suspended" &
at 207; sub 127.0.0.67 $CAROL "$P1" $CAROL "$(rcpt m)" "Unusual sign-in activity" &
at 210; sub "$ATTACK6" $CAROL "$P1" $CAROL "$(rcpt info)" "Invoice #20117 overdue" &
at 214; sub 127.0.0.66 $CAROL "$P1" $CAROL "$(rcpt j.)" "Your account has been suspended" &
wait
at 219; log "blocking the attacker's addresses on submission"
printf '%s REJECT\n' 127.0.0.66 127.0.0.67 "$ATTACK6" > /etc/postfix/blocked_clients
postconf -e 'submission_client_restrictions = check_client_access texthash:/etc/postfix/blocked_clients, permit_sasl_authenticated, reject'
postfix reload
at 223; log "holding 3 spam messages, deleting the rest"
postqueue -j | jq -r 'select(.queue_name != "hold")
    | select(.sender | test("@(mx1\\.)?example\\.test$") | not)
    | "\(.arrival_time) \(.queue_id)"' | sort -n | awk '{print $2}' > "$WORK/spam-qids"
head -3 "$WORK/spam-qids" | while read -r q; do postsuper -h "$q"; done
at 228
postqueue -j | jq -r 'select(.queue_name != "hold")
    | select(.sender | test("@(mx1\\.)?example\\.test$") | not) | .queue_id' |
  postsuper -d -
at 234; sub 127.0.0.10 $CAROL "$P2" $CAROL "accounts@supplier.example.net" \
          "Re: Invoice 4471 - paid"
at 240; log "incident ends"
postqueue -p > "$WORK/mailq-at-end.txt" || true

# --------------------------------------------------------------- tear down --
trap - EXIT
cleanup
RSYSLOG_PID=
sync

# ----------------------------------------------------------------- fixture --
mkdir -p "$OUT"
rm -f "$OUT/mail.log" "$OUT/mail.log.1" "$OUT/mail.log.2.gz"
cp -p "$LOGDIR/mail.log" "$LOGDIR/mail.log.1" "$LOGDIR/mail.log.2.gz" "$OUT/"
chmod 0644 "$OUT/mail.log" "$OUT/mail.log.1" "$OUT/mail.log.2.gz"
YEAR=$(date +%Y)
perl "$HERE/truth.pl" "$OUT" "$YEAR" "$ATTACK6" > "$OUT/truth.json"
perl "$HERE/truth.pl" --readme "$OUT" "$YEAR" "$ATTACK6" \
  "$(postconf -h mail_version)" "$(dovecot --version)" \
  "$(rsyslogd -v | head -1 | awk '{print $1, $2}')" > "$OUT/README.md"
log "fixture written to $OUT"
cat "$OUT/truth.json"
