-- Drives a real Neovim: code actions with the cursor inside a fenced log, the first
-- "Compress log" one resolved and applied as `vim.lsp.buf.code_action()` would apply it.
local out_path = os.getenv('TOKENLS_OUT')
local recipe = os.getenv('TOKENLS_RECIPE')
local server = os.getenv('TOKENLS_CMD')
local target = os.getenv('TOKENLS_FILE')

dofile(recipe)
vim.lsp.config('tokenls', { cmd = { server, 'serve' } })

local result = { errors = {}, titles = {} }
local function finish()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(target))
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.wait(15000, function() return #vim.lsp.get_clients({ bufnr = buf, name = 'tokenls' }) > 0 end),
    'tokenls did not attach')
  local client = vim.lsp.get_clients({ bufnr = buf, name = 'tokenls' })[1]
  assert(vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end), 'no diagnostics')
  -- The cursor a few lines into the block (0-based: the fence's line number is 1-based).
  local fence = vim.fn.search('^```log', 'n')
  local cursor = { line = fence + 3, character = 0 }
  local actions = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = cursor, ['end'] = cursor },
    context = { diagnostics = {} },
  }, 10000)
  local chosen
  for _, r in pairs(actions or {}) do
    for _, action in ipairs(r.result or {}) do
      table.insert(result.titles, action.title)
      if not chosen and action.title:find('^Compress log to fit') then chosen = action end
    end
  end
  if chosen then
    local resolved = client:request_sync('codeAction/resolve', chosen, 30000, buf)
    assert(resolved and resolved.result and resolved.result.edit, 'the action did not resolve')
    vim.lsp.util.apply_workspace_edit(resolved.result.edit, client.offset_encoding)
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  result.text = table.concat(lines, '\n') .. (vim.bo[buf].eol and '\n' or '')
  local counted = vim.lsp.buf_request_sync(buf, 'tokenls/documentTokens', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
  }, 10000)
  for _, r in pairs(counted or {}) do
    if r.result then result.tokens = r.result.tokens end
  end
end)
if not ok then table.insert(result.errors, tostring(err)) end
finish()
