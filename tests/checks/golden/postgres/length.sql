SELECT COUNT(*) FILTER(WHERE NOT ("zip" IS NULL OR TRIM("zip") = '')) AS m_9f1581fe6151596b, COUNT(*) FILTER(WHERE NOT ("zip" IS NULL OR TRIM("zip") = '') AND (LENGTH("zip") < 5 OR LENGTH("zip") > 10)) AS m_515f842bdf65995d FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT k, v FROM (SELECT CAST("source_row_number" AS TEXT) AS k, CAST("zip" AS TEXT) AS v FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src WHERE NOT ("zip" IS NULL OR TRIM("zip") = '') AND (LENGTH("zip") < 5 OR LENGTH("zip") > 10)) AS f LIMIT 20) AS s0;
