<#
.SYNOPSIS
  Build the Windows installer: PyInstaller bundle, self-test, Inno Setup.

.DESCRIPTION
  Run from any folder on Windows with Python 3.11+ and Inno Setup 6 (ISCC.exe on
  PATH or in its default folder; `choco install innosetup` installs it):

      powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

  Steps: .venv with the package extra; PyInstaller with packaging\botstate-explorer.spec
  (one folder: botstate-explorer.exe windowed + botstate-explorer-cli.exe console);
  `botstate-explorer-cli.exe --version` must print pyproject's version and
  `--self-test` must pass with QT_QPA_PLATFORM=offscreen; then ISCC builds
  packaging\dist\botstate-explorer-VERSION-windows-x64-setup.exe with the version and
  names from pyproject.toml.
#>
param(
    [string]$Python = "python",
    [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Invoke-Native {
    # Run a program (first argument) with the rest as its arguments and stop on a
    # non-zero exit code, which PowerShell does not do for native programs. A simple
    # function, so arguments such as -m or --noconfirm reach the program untouched.
    $exe = $args[0]
    $rest = @($args | Select-Object -Skip 1)
    & $exe @rest
    if ($LASTEXITCODE -ne 0) { throw "$exe $($rest -join ' ') failed with exit code $LASTEXITCODE" }
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

Write-Host "== Python environment (.venv) with the package extra"
if (-not (Test-Path ".venv\Scripts\python.exe")) { Invoke-Native $Python -m venv .venv }
$Py = Join-Path $Root ".venv\Scripts\python.exe"
Invoke-Native $Py -m pip install -q --disable-pip-version-check -U pip
Invoke-Native $Py -m pip install -q --disable-pip-version-check -e ".[package]"

function Get-Meta([string]$Key) { (& $Py packaging\appmeta.py $Key).Trim() }
$Name = Get-Meta name
$Version = Get-Meta version
$VersionNumeric = Get-Meta version_numeric
$DisplayName = Get-Meta display_name
$Publisher = Get-Meta publisher
$Bundle = Join-Path $Root "packaging\dist\$Name"

Write-Host "== PyInstaller: $Name $Version"
$sw = [Diagnostics.Stopwatch]::StartNew()
Invoke-Native $Py -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath packaging\dist --workpath packaging\build packaging\botstate-explorer.spec
Write-Host ("build time: {0:N0} s" -f $sw.Elapsed.TotalSeconds)

Write-Host "== --version and --self-test (offscreen)"
$Cli = Join-Path $Bundle "$Name-cli.exe"
$got = (& $Cli --version | Out-String).Trim()
if ($LASTEXITCODE -ne 0 -or $got -ne "$Name $Version") {
    throw "expected '$Name $Version' from $Cli --version, got '$got'"
}
Write-Host $got
$env:QT_QPA_PLATFORM = "offscreen"
try { Invoke-Native $Cli --self-test } finally { Remove-Item Env:QT_QPA_PLATFORM }
# the self-test runs offscreen; users need the native platform plugin and the style
foreach ($plugin in @("qwindows.dll", "qico.dll")) {
    if (-not (Get-ChildItem $Bundle -Recurse -File -Filter $plugin)) { throw "$plugin is missing from $Bundle" }
}
$size = (Get-ChildItem $Bundle -Recurse -File | Measure-Object Length -Sum).Sum / 1MB
Write-Host ("bundle size: {0:N0} MB" -f $size)

if ($SkipInstaller) { Write-Host "== Inno Setup skipped (-SkipInstaller)"; return }

Write-Host "== Inno Setup"
$found = Get-Command iscc.exe -ErrorAction SilentlyContinue | Select-Object -First 1
$Iscc = if ($found) { $found.Source } else { $null }
if (-not $Iscc) {
    foreach ($dir in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, "$env:LOCALAPPDATA\Programs")) {
        if ($dir -and (Test-Path "$dir\Inno Setup 6\ISCC.exe")) { $Iscc = "$dir\Inno Setup 6\ISCC.exe"; break }
    }
}
if (-not $Iscc) { throw "ISCC.exe (Inno Setup 6) not found: install it with 'choco install innosetup'" }
Invoke-Native $Iscc /Q `
    "/DAppName=$DisplayName" "/DAppVersion=$Version" "/DAppVersionNumeric=$VersionNumeric" `
    "/DAppPublisher=$Publisher" "/DAppExeName=$Name" "/DSourceDir=$Bundle" `
    "/DOutputDir=$(Join-Path $Root 'packaging\dist')" "/DIconFile=$(Join-Path $Root 'resources\app.ico')" `
    packaging\windows\installer.iss
$Setup = Join-Path $Root "packaging\dist\$Name-$Version-windows-x64-setup.exe"
if (-not (Test-Path $Setup)) { throw "Inno Setup did not write $Setup" }
Write-Host ("installer: $Setup ({0:N0} MB)" -f ((Get-Item $Setup).Length / 1MB))
