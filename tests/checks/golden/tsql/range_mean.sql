SELECT AVG([amount_num]) AS m_53e92d6f4a6b4dba FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;
