SELECT COUNT(*) AS m_e5dae1bd9afd43e7, COUNT(IIF(([birth_date] IS NULL OR TRIM([birth_date]) = '' OR [birth_date] IN ('00000000')), 1, NULL)) AS m_88dbbef549a70ad3 FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT TOP 20 k AS k, v AS v FROM (SELECT CAST([source_row_number] AS NVARCHAR(4000)) AS k, CAST([birth_date] AS NVARCHAR(4000)) AS v FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src WHERE ([birth_date] IS NULL OR TRIM([birth_date]) = '' OR [birth_date] IN ('00000000'))) AS f) AS s0;
