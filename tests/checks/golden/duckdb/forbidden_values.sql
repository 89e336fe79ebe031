SELECT COUNT_IF(_f0) AS m_0b0a2cc563b933d9, COUNT_IF(_f1) AS m_607e2eb24325184c FROM (SELECT *, NOT ("state" IS NULL OR CASE WHEN NOT UNICODE("state") BETWEEN 33 AND 126 THEN TRIM("state") = '' ELSE FALSE END) AS _f0, "state" IN ('XX', 'N/A') AS _f1 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT k, v FROM (SELECT CAST("source_row_number" AS TEXT) AS k, CAST("state" AS TEXT) AS v FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src WHERE "state" IN ('XX', 'N/A')) AS f LIMIT 20) AS s0;
