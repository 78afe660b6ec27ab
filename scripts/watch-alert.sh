#!/bin/sh
# An --exec program for `postsleuth watch`: mails each alert to the admin
# and, for a suspect (a compromised account or uid), puts its messages still
# in the queue on hold, so that the spam stops leaving while someone looks.
#
#   postsleuth watch --format json --exec /usr/local/sbin/watch-alert.sh
#
# The alert comes as one JSON object on standard input. Every value in it
# may come from a log line an attacker wrote (the SASL username, a HELO),
# so none is ever put into a command line or a mail header: the alert goes
# whole as the mail's body, and only queue IDs, each checked against
# Postfix's queue ID syntax here (short IDs: hex; long IDs: digits and
# consonants, a "z", then the inode), go to postsuper, on its standard
# input. Needs jq, mail(1) and postsuper; runs as root (postsuper -h).
set -eu
ADMIN="${POSTSLEUTH_ADMIN:-postmaster}"
HOST="${POSTSLEUTH_HOST:-$(hostname)}"
alert=$(cat)
kind=$(printf '%s\n' "$alert" | jq -r '.alert')
case "$kind" in suspect | signal) ;; *) kind=unknown ;; esac
printf '%s\n' "$alert" | jq . | mail -s "postsleuth watch: $kind alert" "$ADMIN"
[ "$kind" = suspect ] || exit 0
printf '%s\n' "$alert" |
    jq -r --arg host "$HOST" '.next_steps.queue_ids[] | select(.host == $host) | .queue_id' |
    grep -E '^([0-9A-F]{6,21}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+)$' |
    postsuper -h - || true
