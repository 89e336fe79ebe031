SELECT COUNT(*) AS m_e5dae1bd9afd43e7, COUNT(IIF(NOT ([email] IS NULL), 1, NULL)) AS m_e03210e7030d1213 FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT TOP 20 k AS k, v AS v FROM (SELECT CAST([source_row_number] AS NVARCHAR(4000)) AS k, CAST([email] AS NVARCHAR(4000)) AS v FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src WHERE NOT ([email] IS NULL)) AS f) AS s0;
