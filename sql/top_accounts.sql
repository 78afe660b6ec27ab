-- Top SASL accounts by messages, as `postsleuth top --by account` ranks
-- them. A message counts once, for its original submission (not a content
-- filter's re-injected copy, not Postfix's notifications), when cleanup
-- accepted it; recipients, deferred and bounced are those of its final
-- deliveries (hand-overs to a content filter left out), whatever their time.
-- Message numbers are an export's own: joins go by (export, message).
WITH accepted AS (
    SELECT * FROM messages
    WHERE NOT is_continuation AND origin <> 'notification' AND state <> 'rejected'
),
by_messages AS (
    SELECT root_sasl_username AS account,
           COUNT(*) AS messages,
           SUM(size) AS bytes,
           COUNT(DISTINCT root_client_ip) AS distinct_ips,
           COUNT(DISTINCT CASE WHEN LENGTH(root_country) = 2 THEN root_country END) AS distinct_countries,
           unix_micros(MIN(first_seen)) AS first_us,
           unix_micros(MAX(first_seen)) AS last_us
    FROM accepted
    WHERE root_sasl_username IS NOT NULL
    GROUP BY root_sasl_username
),
by_deliveries AS (
    SELECT d.root_sasl_username AS account,
           COUNT(DISTINCT CONCAT(d.export, '|', CAST(d.root AS STRING), '|', d.recipient)) AS recipients,
           COUNT(DISTINCT d.recipient) AS distinct_recipients,
           SUM(CASE WHEN d.status = 'deferred' THEN 1 ELSE 0 END) AS deferred,
           SUM(CASE WHEN d.status = 'bounced' THEN 1 ELSE 0 END) AS bounced
    FROM deliveries d
    JOIN accepted m ON d.export = m.export AND d.root = m.message
    WHERE NOT d.filter_hop AND d.root_sasl_username IS NOT NULL
    GROUP BY d.root_sasl_username
)
SELECT m.account, m.messages,
       COALESCE(d.recipients, 0) AS recipients,
       COALESCE(d.distinct_recipients, 0) AS distinct_recipients,
       COALESCE(m.bytes, 0) AS bytes,
       COALESCE(d.deferred, 0) AS deferred,
       COALESCE(d.bounced, 0) AS bounced,
       m.distinct_ips, m.distinct_countries, m.first_us, m.last_us
FROM by_messages m
LEFT JOIN by_deliveries d ON d.account = m.account
ORDER BY m.messages DESC, m.account
LIMIT 10
