SELECT COUNT(IIF(NOT ([state] IS NULL OR TRIM([state]) = ''), 1, NULL)) AS m_0b0a2cc563b933d9, COUNT(IIF([state] IN ('XX', 'N/A'), 1, NULL)) AS m_607e2eb24325184c FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT TOP 20 k AS k, v AS v FROM (SELECT CAST([source_row_number] AS NVARCHAR(4000)) AS k, CAST([state] AS NVARCHAR(4000)) AS v FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src WHERE [state] IN ('XX', 'N/A')) AS f) AS s0;
