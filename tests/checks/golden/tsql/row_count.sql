SELECT COUNT(*) AS m_e5dae1bd9afd43e7 FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;
