-- Brute-force sources: client IPs by failed SASL logins, as
-- `postsleuth top --by ip --metric auth-failures` ranks them.
SELECT client_ip AS ip,
       COUNT(*) AS auth_failures,
       COUNT(DISTINCT sasl_username) AS usernames_tried,
       unix_micros(MIN(time)) AS first_us,
       unix_micros(MAX(time)) AS last_us
FROM auth
WHERE NOT success AND client_ip IS NOT NULL
GROUP BY client_ip
ORDER BY auth_failures DESC, ip
LIMIT 10
