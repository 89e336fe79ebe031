SELECT COUNT(*) AS m_e5dae1bd9afd43e7 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;

SELECT * FROM (SELECT SUM(u.value) AS g0_value FROM (SELECT '' AS k, '' AS v, COUNT(*) AS value FROM "other") AS u) AS g0;
