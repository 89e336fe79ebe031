SELECT COUNT(IIF(NOT ([value] IS NULL OR TRIM([value]) = ''), 1, NULL)) AS m_a6adf1575474d6cf, COUNT(IIF((TRY_CAST([value] AS FLOAT) < 0 AND NOT ([channel] IN ('2'))), 1, NULL)) AS m_7e3688aa9846782d FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src;

SELECT 'c' AS check_id, k, v FROM (SELECT TOP 20 k AS k, v AS v FROM (SELECT CAST([source_row_number] AS NVARCHAR(4000)) AS k, CAST([value] AS NVARCHAR(4000)) AS v FROM (SELECT * FROM [stg_x] WHERE [batch_id] = :batch_id) AS src WHERE (TRY_CAST([value] AS FLOAT) < 0 AND NOT ([channel] IN ('2')))) AS f) AS s0;
