SELECT MAX(TRY_CAST("changed_on" AS TIMESTAMP)) AS m_d453d334922a716e FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;
