// Stand-in for the `debug` package inside the layer bundle. require-in-the-middle
// logs through `debug`, whose start-up (tty probing, env parsing) costs several
// milliseconds of every cold start for output nobody sees in Lambda.
'use strict';
module.exports = function createDebug() {
  const log = function () {};
  log.enabled = false;
  return log;
};
module.exports.enabled = () => false;
