SELECT AVG([amount_num]) AS m_caa9837f29fb2720 FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;
