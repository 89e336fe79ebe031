SELECT COUNT(*) AS m_e5dae1bd9afd43e7, COUNT(*) FILTER(WHERE _f0) AS m_88dbbef549a70ad3 FROM (SELECT *, ("birth_date" IS NULL OR TRIM("birth_date") = '' OR "birth_date" IN ('00000000')) AS _f0 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT k, v FROM (SELECT CAST("source_row_number" AS TEXT) AS k, CAST("birth_date" AS TEXT) AS v FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src WHERE ("birth_date" IS NULL OR TRIM("birth_date") = '' OR "birth_date" IN ('00000000'))) AS f LIMIT 20) AS s0;
