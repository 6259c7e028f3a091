-- Drives a real Neovim: loads the README's recipe, opens a prompt, records what it sees.
local out_path = os.getenv('TOKENLS_OUT')
local recipe = os.getenv('TOKENLS_RECIPE')
local server = os.getenv('TOKENLS_CMD')
local target = os.getenv('TOKENLS_FILE')

dofile(recipe)
vim.lsp.config('tokenls', { cmd = { server, 'serve' } })

local result = { errors = {} }
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
  result.position_encoding = client.offset_encoding
  assert(vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end), 'no diagnostics')
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, { lnum = d.lnum, severity = d.severity, message = d.message })
  end
  result.hints_enabled = vim.lsp.inlay_hint.is_enabled({ bufnr = buf })
  assert(vim.wait(15000, function() return #vim.lsp.inlay_hint.get({ bufnr = buf }) > 0 end), 'no inlay hints')
  result.hints = {}
  for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = buf })) do
    local label = item.inlay_hint.label
    if type(label) == 'table' then label = label[1].value end
    table.insert(result.hints, { line = item.inlay_hint.position.line, label = label })
  end
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 0, character = 0 },
  }, 10000)
  for _, r in pairs(hover or {}) do
    if r.result then result.hover = r.result.contents.value end
  end
  -- Code actions on the fenced log: what `vim.lsp.buf.code_action()` would list.
  local log_line = vim.fn.search('^```log', 'n')
  local actions = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = log_line + 1, character = 0 }, ['end'] = { line = log_line + 1, character = 0 } },
    context = { diagnostics = {} },
  }, 10000)
  result.actions = {}
  for _, r in pairs(actions or {}) do
    for _, action in ipairs(r.result or {}) do
      local resolved = client:request_sync('codeAction/resolve', action, 20000, buf)
      local edit = resolved and resolved.result and resolved.result.edit
      table.insert(result.actions, { title = action.title, resolved = edit ~= nil })
    end
  end
  -- Type non-ASCII text the way a user would: incremental changes in utf-8 columns.
  vim.api.nvim_buf_set_text(buf, 2, 2, 2, 2, { 'naïve café 😀 ' })
  vim.api.nvim_buf_set_text(buf, 2, 20, 2, 24, { 'ß' })
  vim.api.nvim_buf_set_lines(buf, 3, 3, false, { '', '## Added section', 'more é text' })
  local counted = vim.lsp.buf_request_sync(buf, 'tokenls/documentTokens', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
  }, 10000)
  for _, r in pairs(counted or {}) do
    if r.result then result.tokens = r.result end
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  result.text = table.concat(lines, '\n') .. (vim.bo[buf].eol and '\n' or '')
end)
if not ok then table.insert(result.errors, tostring(err)) end
finish()
