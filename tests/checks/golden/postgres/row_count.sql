SELECT COUNT(*) AS m_6bad509445a27676 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;
