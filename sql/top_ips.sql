-- Top client IPs by messages, as `postsleuth top --by ip` ranks them: the
-- client of the original submission (a content filter's copy counts for
-- the IP that sent the original, not 127.0.0.1). Counting rules as in
-- top_accounts.sql.
WITH accepted AS (
    SELECT * FROM messages
    WHERE NOT is_continuation AND origin <> 'notification' AND state <> 'rejected'
),
by_messages AS (
    SELECT root_client_ip AS ip,
           COUNT(*) AS messages,
           SUM(size) AS bytes,
           unix_micros(MIN(first_seen)) AS first_us,
           unix_micros(MAX(first_seen)) AS last_us
    FROM accepted
    WHERE root_client_ip IS NOT NULL
    GROUP BY root_client_ip
),
by_deliveries AS (
    SELECT d.root_client_ip AS ip,
           COUNT(DISTINCT CONCAT(d.export, '|', CAST(d.root AS STRING), '|', d.recipient)) AS recipients,
           COUNT(DISTINCT d.recipient) AS distinct_recipients,
           SUM(CASE WHEN d.status = 'deferred' THEN 1 ELSE 0 END) AS deferred,
           SUM(CASE WHEN d.status = 'bounced' THEN 1 ELSE 0 END) AS bounced
    FROM deliveries d
    JOIN accepted m ON d.export = m.export AND d.root = m.message
    WHERE NOT d.filter_hop AND d.root_client_ip IS NOT NULL
    GROUP BY d.root_client_ip
)
SELECT m.ip, m.messages,
       COALESCE(d.recipients, 0) AS recipients,
       COALESCE(d.distinct_recipients, 0) AS distinct_recipients,
       COALESCE(m.bytes, 0) AS bytes,
       COALESCE(d.deferred, 0) AS deferred,
       COALESCE(d.bounced, 0) AS bounced,
       m.first_us, m.last_us
FROM by_messages m
LEFT JOIN by_deliveries d ON d.ip = m.ip
ORDER BY m.messages DESC, m.ip
LIMIT 10
