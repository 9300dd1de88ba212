-- Headless Neovim (0.7+) probe of pinlens-server: opens a C file with the
-- built-in LSP client, waits for diagnostics, asks for code lenses and a hover
-- on the first acquire call, and writes all three as one JSON document to
-- $PINLENS_OUT (or stdout). Exits non-zero when something does not arrive.
-- Env: PINLENS_NODE (node binary), PINLENS_SERVER (out/server.js), PINLENS_FIXTURE.
local node = os.getenv('PINLENS_NODE') or 'node'
local server = assert(os.getenv('PINLENS_SERVER'), 'PINLENS_SERVER not set')
local file = assert(os.getenv('PINLENS_FIXTURE'), 'PINLENS_FIXTURE not set')
local out = { diagnostics = nil, lenses = nil, hover = nil, errors = {} }

local function finish(status)
  local json = vim.fn.json_encode(out)
  local path = os.getenv('PINLENS_OUT')
  if path then
    local f = assert(io.open(path, 'w')); f:write(json, '\n'); f:close()
  else
    io.stdout:write(json, '\n')
  end
  vim.cmd(status == 0 and 'qall!' or 'cquit! ' .. status)
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = 'c' -- -u NONE: no filetype detection
local uri = vim.uri_from_bufnr(bufnr)

local client_id = vim.lsp.start_client({
  name = 'pinlens',
  cmd = { node, server, '--stdio' },
  root_dir = vim.fn.fnamemodify(file, ':p:h'),
  settings = { pinlens = {} },
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      if result and result.uri == uri then out.diagnostics = result.diagnostics end
    end,
  },
  on_exit = function(code) out.exit = code end,
})
if not client_id then table.insert(out.errors, 'start_client failed'); return finish(2) end
vim.lsp.buf_attach_client(bufnr, client_id)

if not vim.wait(30000, function() return out.diagnostics ~= nil end, 10) then
  table.insert(out.errors, 'no publishDiagnostics within 30 s'); return finish(3)
end
out.shown = #vim.diagnostic.get(bufnr) -- what the editor itself displays

local client = vim.lsp.get_client_by_id(client_id)
local lens = client.request_sync('textDocument/codeLens', { textDocument = { uri = uri } }, 10000, bufnr)
if lens and lens.result then out.lenses = lens.result else table.insert(out.errors, 'codeLens: ' .. vim.inspect(lens)) end

local at = vim.fn.searchpos([[\<\(pin\|get\)_user_pages\w*(]], 'nw')
if at[1] > 0 then
  local params = { textDocument = { uri = uri }, position = { line = at[1] - 1, character = at[2] } }
  local hover = client.request_sync('textDocument/hover', params, 10000, bufnr)
  if hover and hover.result then out.hover = hover.result else table.insert(out.errors, 'hover: ' .. vim.inspect(hover)) end
end

vim.lsp.stop_client(client_id)
vim.wait(5000, function() return vim.lsp.client_is_stopped(client_id) end, 10)
finish(#out.errors == 0 and 0 or 4)
