SELECT STDDEV_SAMP("amount_num") AS m_4de1c4439a3a1957 FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;
