; Inno Setup script for Bot State Explorer: a per-user install (no admin rights).
;
; Built by packaging/windows/build.ps1, which passes every define below from
; pyproject.toml (through packaging/appmeta.py) and the PyInstaller output:
;   iscc /DAppName=... /DAppVersion=... /DAppVersionNumeric=... /DAppPublisher=...
;        /DAppExeName=... /DSourceDir=... /DOutputDir=... /DIconFile=... installer.iss
;
; Installs into %LOCALAPPDATA%\Programs\Bot State Explorer, adds a Start menu
; entry (and optionally a desktop icon), registers an uninstaller under
; "Apps & features" for the current user. botstate-explorer-cli.exe in the
; same folder is the command line (console) entry point.

#ifndef AppVersion
  #error AppVersion is not defined: build with packaging/windows/build.ps1
#endif
#ifndef AppName
  #define AppName "Bot State Explorer"
#endif
#ifndef AppVersionNumeric
  #define AppVersionNumeric AppVersion
#endif
#ifndef AppPublisher
  #define AppPublisher "Bot State Explorer contributors"
#endif
#ifndef AppExeName
  #define AppExeName "botstate-explorer"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\" + AppExeName
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\resources\app.ico"
#endif

[Setup]
; AppId identifies the app for upgrades and the uninstaller: never change it.
AppId={{19D8250C-0E5D-47D7-BA79-33764FAA5506}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductVersion={#AppVersionNumeric}
VersionInfoDescription={#AppName} Setup
; per-user: {autopf} is %LOCALAPPDATA%\Programs when running without elevation
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExeName}.exe
SetupIconFile={#IconFile}
OutputDir={#OutputDir}
OutputBaseFilename={#AppExeName}-{#AppVersion}-windows-x64-setup
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; an upgrade closes a running copy first instead of failing on locked files
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the whole bundle: files the new version no longer ships must go
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}.exe"; Comment: "Browse and edit bot state"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}.exe"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent
