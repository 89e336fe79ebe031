SELECT COUNT(*) AS m_e5dae1bd9afd43e7, COUNT_IF(_f0) AS m_e03210e7030d1213 FROM (SELECT *, NOT ("email" IS NULL) AS _f0 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT k, v FROM (SELECT CAST("source_row_number" AS TEXT) AS k, CAST("email" AS TEXT) AS v FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src WHERE NOT ("email" IS NULL)) AS f LIMIT 20) AS s0;
