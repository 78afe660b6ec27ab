#!/usr/bin/perl
# truth.pl -- derive truth.json (or, with --readme, README.md) for the
# real-incident fixture from the log files themselves, so every value can be
# traced to a file:line. Used by make.sh; can be re-run on the fixture:
#   perl scripts/real-incident/truth.pl tests/fixtures/real_incident 2026 2001:db8::66
use strict;
use warnings;
use Time::Local qw(timelocal);
use POSIX qw(strftime);

my $readme = 0;
if (@ARGV && $ARGV[0] eq '--readme') { $readme = 1; shift @ARGV; }
my ($dir, $year, $v6, $pf_version, $dc_version, $rs_version) = @ARGV;
die "usage: truth.pl [--readme] DIR YEAR IPV6 [versions...]\n" unless $v6;
my @attackers = ('127.0.0.66', '127.0.0.67', $v6);
my %is_attacker = map { $_ => 1 } @attackers;
my %mon = (Jan=>0,Feb=>1,Mar=>2,Apr=>3,May=>4,Jun=>5,Jul=>6,Aug=>7,Sep=>8,Oct=>9,Nov=>10,Dec=>11);

# oldest first, as the log was written
my @files = ('mail.log.2.gz', 'mail.log.1', 'mail.log');
my @lines;    # [file, lineno, rfc3339, text]
for my $f (@files) {
  my $path = "$dir/$f";
  my $fh;
  if ($f =~ /\.gz$/) { open($fh, '-|', 'gzip', '-dc', $path) or die "$path: $!"; }
  else { open($fh, '<', $path) or die "$path: $!"; }
  my $n = 0;
  while (my $l = <$fh>) {
    chomp $l; $n++;
    my ($mo, $d, $h, $mi, $s) = $l =~ /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) /
      or die "$f:$n: no RFC 3164 timestamp\n";
    my $t = timelocal($s, $mi, $h, $d, $mon{$mo}, $year);
    push @lines, [$f, $n, strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $t), $l];
  }
  close $fh;
}
sub where { my $r = shift; return "$r->[0]:$r->[1]"; }

my ($first_mal, @bf, $reset, %qid_ip, %qmgr_from, @cleanup_rej, @held, @removed,
    $deleted_summary, %uids, $lost_bf, @erin, @dave99, @pickup, $reload, @carol_ok, $compromise_seen);
for my $r (@lines) {
  my $l = $r->[3];
  if ($l =~ m{: ([0-9A-F]+): client=\S+?\[([^\]]+)\]:\d+, sasl_method=\w+, sasl_username=(\S+)}) {
    my ($q, $ip, $u) = ($1, $2, $3);
    $qid_ip{$q} = $ip;
    if ($is_attacker{$ip} && $u eq 'carol@example.test') { $first_mal //= $r; }
    push @dave99, $r if $ip eq '127.0.0.99';
    push @carol_ok, $r if $ip eq '127.0.0.10';
    push @erin, $r if $ip eq '127.0.0.14';
  }
  if ($l =~ m{warning: \S+?\[([^\]]+)\]:\d+: SASL \w+ authentication failed: .*?(?:sasl_username=(\S+))?$}) {
    my ($ip, $u) = ($1, $2 // '');
    if ($ip =~ /^127\.0\.1\.\d+$/) { push @bf, [$r, $ip, $u]; }
    elsif ($is_attacker{$ip}) { $reset //= $r; }
    elsif ($ip eq '127.0.0.14') { push @erin, $r; }
  }
  $qmgr_from{$1} = 1 if $l =~ m{postfix/qmgr\[\d+\]: ([0-9A-F]+): from=<};
  if ($l =~ m{postfix/cleanup\[\d+\]: [0-9A-F]+: reject: .* from \S+?\[([^\]]+)\]:\d+;}) {
    push @cleanup_rej, $r if $is_attacker{$1};
  }
  push @held, $r if $l =~ m{postfix/postsuper\[\d+\]: [0-9A-F]+: placed on hold};
  push @removed, $r if $l =~ m{postfix/postsuper\[\d+\]: [0-9A-F]+: removed};
  $deleted_summary = $r if $l =~ m{postfix/postsuper\[\d+\]: Deleted: \d+ message};
  if ($l =~ m{postfix/pickup\[\d+\]: [0-9A-F]+: uid=(\d+) from=}) { $uids{$1}++; push @pickup, $r; }
  $reload = $r if $l =~ m{postfix/master\[\d+\]: reload};
  $lost_bf++ if $l =~ m{lost connection after AUTH from \S+?\[127\.0\.1\.\d+\]};
}
die "no first malicious login\n" unless $first_mal;
die "no post-reset failure\n" unless $reset;
my %bf_ips = map { $_->[1] => 1 } @bf;
my $named = grep { $_->[2] eq 'carol@example.test' } @bf;
my @attacker_qids = grep { $is_attacker{$qid_ip{$_}} } keys %qid_ip;
my $accepted = grep { $qmgr_from{$_} } @attacker_qids;
my @uids = sort { $a <=> $b } keys %uids;
die "expected one pickup uid, got @uids\n" unless @uids == 1;
my $fm_ip = $first_mal->[3] =~ /\[([^\]]+)\]:\d+, sasl_method/ ? $1 : '?';

unless ($readme) {
  my $q = sub { my $s = shift; return "\"$s\""; };
  print "{\n";
  print "  \"compromised_account\": \"carol\@example.test\",\n";
  printf "  \"first_malicious\": {\"time\": %s, \"file\": %s, \"line\": %d, \"ip\": %s},\n",
    $q->($first_mal->[2]), $q->($first_mal->[0]), $first_mal->[1], $q->($fm_ip);
  printf "  \"brute_force\": {\"failures\": %d, \"ips\": %d, \"named_victim\": %d, \"start\": %s, \"end\": %s},\n",
    scalar(@bf), scalar(keys %bf_ips), $named, $q->($bf[0][0][2]), $q->($bf[-1][0][2]);
  printf "  \"attacker_ips\": [%s],\n", join(', ', map { $q->($_) } @attackers);
  printf "  \"reset\": {\"time\": %s, \"file\": %s, \"line\": %d},\n",
    $q->($reset->[2]), $q->($reset->[0]), $reset->[1];
  printf "  \"spam_accepted\": %d, \"spam_rejected_by_cleanup\": %d,\n", $accepted, scalar(@cleanup_rej);
  printf "  \"held\": %d, \"deleted\": %d,\n", scalar(@held), scalar(@removed);
  printf "  \"traps\": [\"dave\@example.test\", \"erin\@example.test\", \"uid=%d\"],\n", $uids[0];
  printf "  \"year\": %d\n}\n", $year;
  exit 0;
}

# ------------------------------------------------------------- README.md --
my %count = map { $_ => 0 } @files;
$count{$_->[0]}++ for @lines;
my ($first, $last) = ($lines[0], $lines[-1]);
my $spam_only = $accepted - 1;
print <<"EOF";
# real_incident: a real Postfix + Dovecot log of a cracked password

Recorded, not synthesised: Postfix $pf_version, Dovecot $dc_version and
$rs_version on Debian 12, all on loopback, driven by swaks, a tiny Python
client (for bots that hang up after a failed AUTH) and sendmail, by
`scripts/real-incident/make.sh` (see its top comment; `truth.pl` next to it
computed `truth.json` and this file from the logs). Time zone of the RFC 3164
timestamps: UTC (the recording machine's), year $year. The log was rotated
twice during the run the logrotate way (rename + HUP of rsyslogd, then
rename + gzip), so the lines are split across:

| file | lines | first .. last |
| --- | --- | --- |
EOF
for my $f (reverse @files) {
  my @in = grep { $_->[0] eq $f } @lines;
  printf "| `%s` | %d | %s .. %s |\n", $f, scalar(@in), $in[0][2], $in[-1][2];
}
my $w = sub { my $r = shift; return "`" . where($r) . "`"; };
my $held_where = join(', ', map { $w->($_) } @held);
my $bf_first = $w->($bf[0][0]);
my $bf_last = $w->($bf[-1][0]);
my $cr = join(', ', map { $w->($_) } @cleanup_rej);
my $dv = join(', ', map { $w->($_) } @dave99);
my $pk = join(', ', map { $w->($_) } @pickup);
my $del = $deleted_summary ? $w->($deleted_summary) : '(no summary line)';
my $rel = $reload ? $w->($reload) : '(none)';
my $er = join(', ', map { $w->($_) } @erin);
my $co = join(', ', map { $w->($_) } @carol_ok);
my $fm_where = $w->($first_mal);
my $reset_where = $w->($reset);
print <<"EOF";

Line numbers are 1-based within the (decompressed) file.

## The story

Accounts (Dovecot passwd-file): carol\@example.test (the victim), dave\@,
erin\@, frank\@, grace\@example.test. Mail to the outside goes to a relayhost
where nothing listens, so it stays deferred (`Connection refused`).

1. Ordinary traffic (`mail.log.2.gz`): carol (127.0.0.10,
   cpe-10.home.example.net), frank (.11), grace (.12), dave (.13) send over
   submission (port 587, STARTTLS, AUTH PLAIN); an inbound message arrives
   on port 25 through postscreen from 127.0.0.30; a cron job of user
   `backup` mails a report via sendmail (pickup, `uid=$uids[0]`; both pickup
   messages: $pk).
2. Trap "typo": erin (127.0.0.14) mistypes her password once, then logs in
   and sends one message: $er.
3. A slow distributed brute force: ${\ scalar(@bf)} failed AUTHs from
   ${\ scalar(keys %bf_ips)} addresses (127.0.1.1 .. 127.0.1.25), $named of them naming
   carol\@example.test, the others frank, grace, admin, info (the last two do
   not exist: Dovecot logs `unknown user`); ${\ ($lost_bf // 0)} of them hang up right after
   the 535 (`lost connection after AUTH`). First failure $bf_first, last
   $bf_last ($bf[0][0][2] .. $bf[-1][0][2]).
4. The compromise: the attacker logs in as carol from 127.0.0.66, an
   address that never failed, at $first_mal->[2], $fm_where, and sends one probe
   message to one recipient.
5. The spam run: 65 messages to 3 external recipients each through carol's
   account from 127.0.0.66, 127.0.0.67 and $v6, with forged envelope
   senders (bank-example.com, paypa1.example, ...). Two with subject
   `CHEAP MEDS` are rejected by header_checks in cleanup: $cr. Attacker
   messages accepted (with a qmgr `from=` line): $accepted ($spam_only spam + the probe).
6. Meanwhile: real carol keeps sending from 127.0.0.10 (all her logins
   from there: $co; the last one is with her new password); trap "travel": dave logs in twice
   from a hotel, 127.0.0.99 guest-wifi.hotel.example.com, new to him, one
   message each: $dv; the second cron message.
7. The response: carol's password is changed in the passwd-file; the
   attacker retries with the old one from all three addresses; the first
   failure from an attacker address after the change: $reset->[2], $reset_where.
   The admin blocks the three addresses on submission (check_client_access,
   `postfix reload` at $rel), holds ${\ scalar(@held)} spam messages with
   `postsuper -h` ($held_where) and deletes the other ${\ scalar(@removed)} with
   `postqueue -j | jq ... | postsuper -d -` (summary line $del). Carol logs in
   with her new password and sends one more message.

Nothing is faked in the log: every line was written by rsyslogd
($rs_version, RSYSLOG_TraditionalFileFormat, host name set to `mx1`) from the
daemons' own syslog calls. What is staged: all clients are loopback source
addresses (127.0.0.N, 127.0.1.N, and $v6 added to `lo`), host
names come from a private /etc/hosts (the brute-forcers and the attacker
have none: `unknown[...]`), and the Postfix services run without chroot.
Note for correlation: Dovecot's `auth: passwd-file(user,ip): Password
mismatch` line comes about 2 s before Postfix's `SASL PLAIN authentication
failed` warning (Dovecot's auth_failure_delay). Postfix 3.7.11 (Debian)
already writes `sasl_username=` in the failure warning.
EOF
