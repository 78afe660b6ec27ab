-- Top client countries by messages, as `postsleuth top --by country` ranks
-- them: the country of the original submission's client, as the exporter
-- geolocated it (root_country: a two-letter code, or an address class such
-- as `private`). Recipients, deferred and bounced are each message's chain
-- counts, which the messages table carries.
SELECT root_country AS country,
       COUNT(*) AS messages,
       SUM(recipients) AS recipients,
       COALESCE(SUM(size), 0) AS bytes,
       SUM(final_deferred) AS deferred,
       SUM(final_bounced) AS bounced,
       COUNT(DISTINCT root_client_ip) AS distinct_ips,
       unix_micros(MIN(first_seen)) AS first_us,
       unix_micros(MAX(first_seen)) AS last_us
FROM messages
WHERE NOT is_continuation AND origin <> 'notification' AND state <> 'rejected'
  AND root_country IS NOT NULL
GROUP BY root_country
ORDER BY messages DESC, country
LIMIT 10
