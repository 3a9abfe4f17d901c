import { test } from 'node:test';
import { sql } from './sql.ts';
import { checkValues } from './testing.ts';

test('sql: quote break-outs, tautologies, stacked statements, UNION and attacker-only functions are flagged', () => {
  checkValues(sql, {
    flagged: [
      "' OR '1'='1", "admin'--", "admin' #", "admin')/*", "\" OR \"\"=\"", "') OR ('x'='x", "'or'1'='1", "' or 1=1 limit 1 -- -+", "' OR true--",
      "1 OR 1=1", "1) OR (1=1", "-1 UNION SELECT NULL,NULL--", "1 ORDER BY 10--", "10 AND SLEEP(5)", "1;SELECT pg_sleep(10)--",
      "'; DROP TABLE users; --", "1'; WAITFOR DELAY '0:0:5'--", "'; EXEC master..xp_cmdshell 'dir'--", "' UNION SELECT table_name FROM information_schema.tables--",
      "'XOR(if(now()=sysdate(),sleep(5),0))XOR'", "'/**/OR/**/1=1--", "' /*!50000UNION*/ SELECT 1,2--", "' or username is not null or username = '",
      "SELECT * FROM users WHERE id = 1 OR 1=1", "1' RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))-- ", "' AND updatexml(1,concat(0x7e,user()),1)-- -",
      "x' having 1=1--", "@@version",
    ],
    passed: [
      "O'Brien", "D'Angelo Russell", 'Please select the best option from our menu; drop by anytime!', "It's the best pizza in town, and the staff's really friendly.",
      "He said 'yes' or 'no'", '1 or more is fine', 'I\'d like 2 or 3 items', 'Union select committee met on Tuesday.', 'Drop table tennis practice this week; the hall is booked.',
      "Is 1 or 2 tablespoons right?", 'time.sleep(5)', 'await sleep(1000)', 'We sleep 8 hours and still feel tired', 'Delete my account please; I no longer use this service.',
      "Where's the 'Update' button?", 'SELECT statements are faster once the index on user_id exists.', "I said \"or else\" as a joke", '1 or something like that',
      "He's 6'2\" and wears size 11 shoes.", 'Order or reservation?', 'Cancel or pause? I just want to skip June.',
    ],
  });
});
