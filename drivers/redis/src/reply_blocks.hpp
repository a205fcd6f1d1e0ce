// hiredis reply objects built in one block each (the reply with its string, or with its element
// array) and recycled through a per-thread list of small blocks, instead of hiredis's two
// allocations per reply. Installed on a context's reader; replies keep the `redisReply` layout,
// so everything that reads them is unchanged.
#pragma once

struct redisReplyObjectFunctions;

namespace cacheme::drivers::redis::detail {

/// The reader functions to give a context (`ac->c.reader->fn = &reply_block_functions()`).
/// Its replies must be freed through the same functions (hiredis does, after each callback).
redisReplyObjectFunctions& reply_block_functions() noexcept;

}  // namespace cacheme::drivers::redis::detail
