# -*- mode: ruby -*-
# vi: set ft=ruby :
#
# __NAME__ single-host on Vagrant. nepho renders this file into the
# formation's directory, replacing each double-braced placeholder with a Ruby
# literal (write them unquoted), and adds the bootstrap provisioner itself.
# Secret parameters (AppSecret) have no placeholder: nepho hands them to the
# bootstrap through the environment of the vagrant run, never this file.

Vagrant.configure("2") do |config|
  config.vm.box = {{parameters.Box}}
  config.vm.hostname = {{formation.name}}

  config.vm.network "forwarded_port",
    guest: {{parameters.AppPort}}, host: 8080, host_ip: "127.0.0.1", id: "app"

  # The bootstrap script is uploaded over SSH; no shared folder is needed.
  config.vm.synced_folder ".", "/vagrant", disabled: true

  config.vm.provider "virtualbox" do |vb|
    vb.memory = 1024
    vb.cpus = 1
  end
end
