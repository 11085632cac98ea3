import { test } from 'vitest';
import assert from 'node:assert/strict';
import { urlForLog } from './url-for-log.ts';

test('urlForLog masks the user, the password and every query value of a URL, and leaves where it points', () => {
  assert.equal(urlForLog('mqtt://ingest:s3cret@broker.example:1883'), 'mqtt://***@broker.example:1883');
  assert.equal(urlForLog('redis://:p%40ss@10.0.0.5:6379/0'), 'redis://***@10.0.0.5:6379/0');
  assert.equal(urlForLog('mqtts://user@broker.example'), 'mqtts://***@broker.example');
  assert.equal(urlForLog('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123&debug=1'), 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***&debug=***');
  assert.equal(urlForLog('https://oapi.dingtalk.com/robot/send?access_token=t0k#frag'), 'https://oapi.dingtalk.com/robot/send?access_token=***', 'the fragment goes too');
  assert.equal(urlForLog('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883', 'nothing secret: unchanged');
  assert.equal(urlForLog('http://h/x?to=a@b'), 'http://h/x?to=***', 'an @ in the query is not a credential');
  assert.equal(urlForLog('not a url'), 'not a url');
  assert.equal(urlForLog('电站 1 号'), '电站 1 号');
});
