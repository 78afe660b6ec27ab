-- When each SASL account was compromised, as `postsleuth suspects` finds
-- it (src/analyze/suspects.rs), in simpler terms: the first successful
-- login from somewhere new that an abnormal hour follows within 24 hours,
-- a login after a brute-force wave (at least 10 failed logins naming the
-- account in the 24 hours before it) preferred.
--
-- Somewhere new, as suspects' login classes say it: a new IP in a country
-- new to the account that fewer than 2 other accounts log in from; or,
-- not the account's first login, a new IP in a new network or country
-- after a day of history, or in a new country when it had one already.
-- Abnormal: at least 10 times the account's usual busy hour, at least 1.
--
-- Simpler than suspects: ASNs are not weighed; the usual hour is the 90th
-- percentile of the account's hours with mail before the login (suspects
-- counts the hours without mail too, takes the day before a long burst,
-- and floors the bar at a typical account's peak); there is no burst of
-- rate for logs too short for hours, no scoring (every account with such
-- a login is listed), and no local uids.
WITH logins AS (
    SELECT sasl_username AS account, client_ip, client_net, time,
           CASE WHEN LENGTH(country) = 2 THEN country END AS country
    FROM auth
    WHERE success AND sasl_username IS NOT NULL
),
since AS (
    SELECT account, MIN(time) AS first_login FROM logins GROUP BY account
),
familiar AS (
    SELECT country, COUNT(DISTINCT account) AS accounts FROM logins WHERE country IS NOT NULL GROUP BY country
),
-- The first login from each IP: only it can be from somewhere new.
firsts AS (
    SELECT account, client_ip, client_net, country, time
    FROM (
        SELECT l.*, ROW_NUMBER() OVER (PARTITION BY account, client_ip ORDER BY time) AS n FROM logins l
    ) numbered
    WHERE n = 1
),
history AS (
    SELECT f.account, f.client_ip, f.client_net, f.country, f.time,
           COUNT(b.time) AS before,
           MAX(CASE WHEN b.client_net = f.client_net THEN 1 ELSE 0 END) AS seen_net,
           MAX(CASE WHEN b.country = f.country THEN 1 ELSE 0 END) AS seen_country,
           MAX(CASE WHEN b.country IS NOT NULL THEN 1 ELSE 0 END) AS placed
    FROM firsts f
    LEFT JOIN logins b ON b.account = f.account AND b.time < f.time
    GROUP BY f.account, f.client_ip, f.client_net, f.country, f.time
),
candidates AS (
    SELECT h.account, h.client_ip, h.time
    FROM history h
    JOIN since s ON s.account = h.account
    LEFT JOIN familiar c ON c.country = h.country
    WHERE (h.country IS NOT NULL AND h.seen_country = 0 AND c.accounts - 1 < 2)
       OR (h.before > 0 AND (
              (h.time >= s.first_login + INTERVAL 24 HOURS
               AND ((h.client_net IS NOT NULL AND h.seen_net = 0) OR (h.country IS NOT NULL AND h.seen_country = 0)))
           OR (h.time < s.first_login + INTERVAL 24 HOURS
               AND h.placed = 1 AND h.country IS NOT NULL AND h.seen_country = 0)))
),
hours AS (
    SELECT root_sasl_username AS account, date_trunc('hour', first_seen) AS hour, COUNT(*) AS n
    FROM messages
    WHERE NOT is_continuation AND origin <> 'notification' AND state <> 'rejected'
      AND root_sasl_username IS NOT NULL
    GROUP BY root_sasl_username, date_trunc('hour', first_seen)
),
usual AS (
    SELECT c.account, c.time, percentile_cont(0.9) WITHIN GROUP (ORDER BY h.n) AS p90
    FROM candidates c
    LEFT JOIN hours h ON h.account = c.account AND h.hour < date_trunc('hour', c.time)
    GROUP BY c.account, c.time
),
abnormal AS (
    SELECT c.account, c.client_ip, c.time, MAX(h.n) AS peak
    FROM candidates c
    JOIN usual u ON u.account = c.account AND u.time = c.time
    JOIN hours h ON h.account = c.account
     AND h.hour >= date_trunc('hour', c.time)
     AND h.hour < c.time + INTERVAL 24 HOURS
     AND h.n >= 10 * GREATEST(COALESCE(u.p90, 0), 1)
    GROUP BY c.account, c.client_ip, c.time
),
waves AS (
    SELECT a.account, a.time, COUNT(f.time) AS failures_before
    FROM abnormal a
    LEFT JOIN auth f ON NOT f.success AND f.sasl_username = a.account
     AND f.time < a.time AND f.time >= a.time - INTERVAL 24 HOURS
    GROUP BY a.account, a.time
),
ranked AS (
    SELECT a.account, a.client_ip, a.time, a.peak, w.failures_before,
           ROW_NUMBER() OVER (
               PARTITION BY a.account
               ORDER BY CASE WHEN w.failures_before >= 10 THEN 0 ELSE 1 END, a.time
           ) AS pick
    FROM abnormal a
    JOIN waves w ON w.account = a.account AND w.time = a.time
)
SELECT account, unix_micros(time) AS compromised_us, client_ip, failures_before, peak AS peak_hour_messages
FROM ranked
WHERE pick = 1
ORDER BY compromised_us, account
