# -*- mode: ruby -*-
# vi: set ft=ruby :
#
# huit/static-site single-host on Vagrant. nepho renders this file into the
# formation's directory, replacing each double-braced placeholder with a Ruby
# literal, and adds the bootstrap provisioner itself. The site answers on
# http://127.0.0.1:8080/ of the host.

Vagrant.configure("2") do |config|
  config.vm.box = {{parameters.Box}}
  config.vm.hostname = {{formation.name}}

  config.vm.network "forwarded_port",
    guest: 80, host: 8080, host_ip: "127.0.0.1", id: "http"

  # The bootstrap script is uploaded over SSH; no shared folder is needed.
  config.vm.synced_folder ".", "/vagrant", disabled: true

  config.vm.provider "virtualbox" do |vb|
    vb.memory = 512
    vb.cpus = 1
  end
end
