# Point `moderation` and `invoke build` at the demo: `. demo/env.sh` in your shell.
#
# The demo (`make serve`) keeps its queue in var/demo.db and publishes approved
# comments into content/demo-comments/, which git ignores, so the demo never mixes
# with your own comment files in content/comments/. COMMENTS_* values are JSON.
# Open a new shell (or `unset MODERATION_DB COMMENTS_PATH`) to work on your own blog.
export MODERATION_DB=var/demo.db
export COMMENTS_PATH='"demo-comments"'
