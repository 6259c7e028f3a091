-- tokenls for Neovim 0.11+: live token counts, budget diagnostics, hover.
vim.filetype.add({ extension = { prompt = 'prompt', prompty = 'markdown' } })

vim.lsp.config('tokenls', {
  cmd = { 'tokenls', 'serve' },
  filetypes = { 'markdown', 'text', 'prompt' },
  root_markers = { 'tokenls.toml', 'pyproject.toml', '.git' },
  -- Optional: the same keys as tokenls.toml (see "Settings" below).
  settings = { tokenls = { inlayHints = 'all' } },
})
vim.lsp.enable('tokenls')

vim.api.nvim_create_autocmd('LspAttach', {
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'tokenls' then
      vim.lsp.inlay_hint.enable(true, { bufnr = args.buf })
    end
  end,
})
