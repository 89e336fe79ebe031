SELECT MAX(TRY_CAST("changed_on" AS TIMESTAMP)) AS m_2b74382541a3c00a FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;
