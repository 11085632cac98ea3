#!/bin/sh
# Shanshui edge agent launcher: the Node runtime shipped beside it runs the bundled agent —
# no repository, no npm, no system Node needed.
here=$(dirname "$(readlink -f "$0")")
SHANSHUI_AGENT_SELF="${SHANSHUI_AGENT_SELF:-$0}"
export SHANSHUI_AGENT_SELF
exec "$here/../lib/node" --disable-warning=ExperimentalWarning "$here/../lib/shanshui-agent.js" "$@"
